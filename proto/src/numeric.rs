//! Numeric replies by name, as three-digit strings to compare with
//! [`Message::command`](crate::Message::command).
//!
//! Names and meanings: <https://modern.ircdocs.horse/#numerics>; SASL numerics:
//! <https://ircv3.net/specs/extensions/sasl-3.1>; MONITOR:
//! <https://ircv3.net/specs/extensions/monitor>. Only the replies the product uses or
//! shows are named here.

/// `001`: First reply after registration; parameter 0 is the nick the server gave us. <https://modern.ircdocs.horse/#rplwelcome-001>
pub const RPL_WELCOME: &str = "001";
/// `002`: Server name and version, part of the welcome burst. <https://modern.ircdocs.horse/#rplyourhost-002>
pub const RPL_YOURHOST: &str = "002";
/// `003`: When the server was started, part of the welcome burst. <https://modern.ircdocs.horse/#rplcreated-003>
pub const RPL_CREATED: &str = "003";
/// `004`: Server name, version and supported user and channel modes. <https://modern.ircdocs.horse/#rplmyinfo-004>
pub const RPL_MYINFO: &str = "004";
/// `005`: Server features as tokens; read them with `ISupport::apply`. <https://modern.ircdocs.horse/#rplisupport-005>
pub const RPL_ISUPPORT: &str = "005";
/// `010`: Redirect to another server and port. <https://modern.ircdocs.horse/#rplbounce-010>
pub const RPL_BOUNCE: &str = "010";
/// `221`: Our current user modes. <https://modern.ircdocs.horse/#rplumodeis-221>
pub const RPL_UMODEIS: &str = "221";
/// `251`: User and server counts. <https://modern.ircdocs.horse/#rplluserclient-251>
pub const RPL_LUSERCLIENT: &str = "251";
/// `252`: Number of operators online. <https://modern.ircdocs.horse/#rplluserop-252>
pub const RPL_LUSEROP: &str = "252";
/// `253`: Number of unregistered connections. <https://modern.ircdocs.horse/#rplluserunknown-253>
pub const RPL_LUSERUNKNOWN: &str = "253";
/// `254`: Number of channels. <https://modern.ircdocs.horse/#rplluserchannels-254>
pub const RPL_LUSERCHANNELS: &str = "254";
/// `255`: Clients and servers on this server. <https://modern.ircdocs.horse/#rplluserme-255>
pub const RPL_LUSERME: &str = "255";
/// `265`: Current and maximum local users. <https://modern.ircdocs.horse/#rpllocalusers-265>
pub const RPL_LOCALUSERS: &str = "265";
/// `266`: Current and maximum global users. <https://modern.ircdocs.horse/#rplglobalusers-266>
pub const RPL_GLOBALUSERS: &str = "266";
/// `276`: WHOIS: TLS client certificate fingerprint. <https://modern.ircdocs.horse/#rplwhoiscertfp-276>
pub const RPL_WHOISCERTFP: &str = "276";
/// `301`: The target is away; last parameter is the away message. <https://modern.ircdocs.horse/#rplaway-301>
pub const RPL_AWAY: &str = "301";
/// `302`: Reply to USERHOST. <https://modern.ircdocs.horse/#rpluserhost-302>
pub const RPL_USERHOST: &str = "302";
/// `303`: Reply to ISON: the nicks that are online. <https://modern.ircdocs.horse/#rplison-303>
pub const RPL_ISON: &str = "303";
/// `305`: We are no longer marked away. <https://modern.ircdocs.horse/#rplunaway-305>
pub const RPL_UNAWAY: &str = "305";
/// `306`: We are now marked away. <https://modern.ircdocs.horse/#rplnowaway-306>
pub const RPL_NOWAWAY: &str = "306";
/// `307`: WHOIS: the nick is registered. <https://modern.ircdocs.horse/#rplwhoisregnick-307>
pub const RPL_WHOISREGNICK: &str = "307";
/// `311`: WHOIS: nick, user, host and realname. <https://modern.ircdocs.horse/#rplwhoisuser-311>
pub const RPL_WHOISUSER: &str = "311";
/// `312`: WHOIS: the server the user is on. <https://modern.ircdocs.horse/#rplwhoisserver-312>
pub const RPL_WHOISSERVER: &str = "312";
/// `313`: WHOIS: the user is an IRC operator. <https://modern.ircdocs.horse/#rplwhoisoperator-313>
pub const RPL_WHOISOPERATOR: &str = "313";
/// `314`: WHOWAS: nick, user, host and realname. <https://modern.ircdocs.horse/#rplwhowasuser-314>
pub const RPL_WHOWASUSER: &str = "314";
/// `315`: End of a WHO reply. <https://modern.ircdocs.horse/#rplendofwho-315>
pub const RPL_ENDOFWHO: &str = "315";
/// `317`: WHOIS: idle seconds and signon time. <https://modern.ircdocs.horse/#rplwhoisidle-317>
pub const RPL_WHOISIDLE: &str = "317";
/// `318`: End of a WHOIS reply. <https://modern.ircdocs.horse/#rplendofwhois-318>
pub const RPL_ENDOFWHOIS: &str = "318";
/// `319`: WHOIS: the channels the user is in, with prefixes. <https://modern.ircdocs.horse/#rplwhoischannels-319>
pub const RPL_WHOISCHANNELS: &str = "319";
/// `320`: WHOIS: a free-form line some servers add. <https://modern.ircdocs.horse/#rplwhoisspecial-320>
pub const RPL_WHOISSPECIAL: &str = "320";
/// `321`: Start of a LIST reply. <https://modern.ircdocs.horse/#rplliststart-321>
pub const RPL_LISTSTART: &str = "321";
/// `322`: LIST: one channel with its user count and topic. <https://modern.ircdocs.horse/#rpllist-322>
pub const RPL_LIST: &str = "322";
/// `323`: End of a LIST reply. <https://modern.ircdocs.horse/#rpllistend-323>
pub const RPL_LISTEND: &str = "323";
/// `324`: A channel's current modes. <https://modern.ircdocs.horse/#rplchannelmodeis-324>
pub const RPL_CHANNELMODEIS: &str = "324";
/// `329`: When a channel was created. <https://modern.ircdocs.horse/#rplcreationtime-329>
pub const RPL_CREATIONTIME: &str = "329";
/// `330`: WHOIS: the account the user is logged in to. <https://modern.ircdocs.horse/#rplwhoisaccount-330>
pub const RPL_WHOISACCOUNT: &str = "330";
/// `331`: The channel has no topic. <https://modern.ircdocs.horse/#rplnotopic-331>
pub const RPL_NOTOPIC: &str = "331";
/// `332`: The channel's topic. <https://modern.ircdocs.horse/#rpltopic-332>
pub const RPL_TOPIC: &str = "332";
/// `333`: Who set the topic and when. <https://modern.ircdocs.horse/#rpltopicwhotime-333>
pub const RPL_TOPICWHOTIME: &str = "333";
/// `338`: WHOIS: the user's real host or IP. <https://modern.ircdocs.horse/#rplwhoisactually-338>
pub const RPL_WHOISACTUALLY: &str = "338";
/// `341`: Our INVITE was sent. <https://modern.ircdocs.horse/#rplinviting-341>
pub const RPL_INVITING: &str = "341";
/// `346`: One entry of the invite-exception list. <https://modern.ircdocs.horse/#rplinvitelist-346>
pub const RPL_INVITELIST: &str = "346";
/// `347`: End of the invite-exception list. <https://modern.ircdocs.horse/#rplendofinvitelist-347>
pub const RPL_ENDOFINVITELIST: &str = "347";
/// `348`: One entry of the ban-exception list. <https://modern.ircdocs.horse/#rplexceptlist-348>
pub const RPL_EXCEPTLIST: &str = "348";
/// `349`: End of the ban-exception list. <https://modern.ircdocs.horse/#rplendofexceptlist-349>
pub const RPL_ENDOFEXCEPTLIST: &str = "349";
/// `351`: Reply to VERSION. <https://modern.ircdocs.horse/#rplversion-351>
pub const RPL_VERSION: &str = "351";
/// `352`: WHO: one user. <https://modern.ircdocs.horse/#rplwhoreply-352>
pub const RPL_WHOREPLY: &str = "352";
/// `353`: NAMES: some members of a channel, with prefixes. <https://modern.ircdocs.horse/#rplnamreply-353>
pub const RPL_NAMREPLY: &str = "353";
/// `354`: WHOX: one user with the requested fields. <https://modern.ircdocs.horse/#rplwhospcrpl-354>
pub const RPL_WHOSPCRPL: &str = "354";
/// `366`: End of a NAMES reply. <https://modern.ircdocs.horse/#rplendofnames-366>
pub const RPL_ENDOFNAMES: &str = "366";
/// `367`: One entry of the ban list. <https://modern.ircdocs.horse/#rplbanlist-367>
pub const RPL_BANLIST: &str = "367";
/// `368`: End of the ban list. <https://modern.ircdocs.horse/#rplendofbanlist-368>
pub const RPL_ENDOFBANLIST: &str = "368";
/// `369`: End of a WHOWAS reply. <https://modern.ircdocs.horse/#rplendofwhowas-369>
pub const RPL_ENDOFWHOWAS: &str = "369";
/// `371`: One line of INFO. <https://modern.ircdocs.horse/#rplinfo-371>
pub const RPL_INFO: &str = "371";
/// `372`: One line of the message of the day. <https://modern.ircdocs.horse/#rplmotd-372>
pub const RPL_MOTD: &str = "372";
/// `374`: End of INFO. <https://modern.ircdocs.horse/#rplendofinfo-374>
pub const RPL_ENDOFINFO: &str = "374";
/// `375`: Start of the message of the day. <https://modern.ircdocs.horse/#rplmotdstart-375>
pub const RPL_MOTDSTART: &str = "375";
/// `376`: End of the message of the day. <https://modern.ircdocs.horse/#rplendofmotd-376>
pub const RPL_ENDOFMOTD: &str = "376";
/// `378`: WHOIS: the host the user connects from. <https://modern.ircdocs.horse/#rplwhoishost-378>
pub const RPL_WHOISHOST: &str = "378";
/// `379`: WHOIS: the user's modes. <https://modern.ircdocs.horse/#rplwhoismodes-379>
pub const RPL_WHOISMODES: &str = "379";
/// `381`: We are now an IRC operator. <https://modern.ircdocs.horse/#rplyoureoper-381>
pub const RPL_YOUREOPER: &str = "381";
/// `391`: Reply to TIME. <https://modern.ircdocs.horse/#rpltime-391>
pub const RPL_TIME: &str = "391";
/// `396`: Our displayed host changed (cloak); also known as RPL_VISIBLEHOST. <https://modern.ircdocs.horse/#rplhosthidden-396>
pub const RPL_HOSTHIDDEN: &str = "396";
/// `400`: A command failed for a reason without its own numeric. <https://modern.ircdocs.horse/#errunknownerror-400>
pub const ERR_UNKNOWNERROR: &str = "400";
/// `401`: No such nick or channel. <https://modern.ircdocs.horse/#errnosuchnick-401>
pub const ERR_NOSUCHNICK: &str = "401";
/// `402`: No such server. <https://modern.ircdocs.horse/#errnosuchserver-402>
pub const ERR_NOSUCHSERVER: &str = "402";
/// `403`: No such channel. <https://modern.ircdocs.horse/#errnosuchchannel-403>
pub const ERR_NOSUCHCHANNEL: &str = "403";
/// `404`: Our message to the channel was refused (moderated, banned, +n). <https://modern.ircdocs.horse/#errcannotsendtochan-404>
pub const ERR_CANNOTSENDTOCHAN: &str = "404";
/// `405`: We joined the most channels allowed. <https://modern.ircdocs.horse/#errtoomanychannels-405>
pub const ERR_TOOMANYCHANNELS: &str = "405";
/// `406`: WHOWAS: no such nick in history. <https://modern.ircdocs.horse/#errwasnosuchnick-406>
pub const ERR_WASNOSUCHNICK: &str = "406";
/// `409`: PING or PONG without an origin. <https://modern.ircdocs.horse/#errnoorigin-409>
pub const ERR_NOORIGIN: &str = "409";
/// `411`: No recipient given. <https://modern.ircdocs.horse/#errnorecipient-411>
pub const ERR_NORECIPIENT: &str = "411";
/// `412`: No text to send. <https://modern.ircdocs.horse/#errnotexttosend-412>
pub const ERR_NOTEXTTOSEND: &str = "412";
/// `417`: Our line was too long. <https://modern.ircdocs.horse/#errinputtoolong-417>
pub const ERR_INPUTTOOLONG: &str = "417";
/// `421`: The server does not know the command. <https://modern.ircdocs.horse/#errunknowncommand-421>
pub const ERR_UNKNOWNCOMMAND: &str = "421";
/// `422`: The server has no message of the day (ends the welcome burst like 376). <https://modern.ircdocs.horse/#errnomotd-422>
pub const ERR_NOMOTD: &str = "422";
/// `431`: NICK without a nick. <https://modern.ircdocs.horse/#errnonicknamegiven-431>
pub const ERR_NONICKNAMEGIVEN: &str = "431";
/// `432`: The nick has characters the server refuses. <https://modern.ircdocs.horse/#errerroneusnickname-432>
pub const ERR_ERRONEUSNICKNAME: &str = "432";
/// `433`: The nick is taken; during registration pick another. <https://modern.ircdocs.horse/#errnicknameinuse-433>
pub const ERR_NICKNAMEINUSE: &str = "433";
/// `436`: Nick collision between servers. <https://modern.ircdocs.horse/#errnickcollision-436>
pub const ERR_NICKCOLLISION: &str = "436";
/// `437`: Nick or channel temporarily unavailable. <https://modern.ircdocs.horse/#errunavailresource-437>
pub const ERR_UNAVAILRESOURCE: &str = "437";
/// `441`: The user is not in that channel. <https://modern.ircdocs.horse/#errusernotinchannel-441>
pub const ERR_USERNOTINCHANNEL: &str = "441";
/// `442`: We are not in that channel. <https://modern.ircdocs.horse/#errnotonchannel-442>
pub const ERR_NOTONCHANNEL: &str = "442";
/// `443`: The user is already in that channel. <https://modern.ircdocs.horse/#erruseronchannel-443>
pub const ERR_USERONCHANNEL: &str = "443";
/// `451`: We have not registered yet. <https://modern.ircdocs.horse/#errnotregistered-451>
pub const ERR_NOTREGISTERED: &str = "451";
/// `461`: The command lacks parameters. <https://modern.ircdocs.horse/#errneedmoreparams-461>
pub const ERR_NEEDMOREPARAMS: &str = "461";
/// `462`: We are already registered. <https://modern.ircdocs.horse/#erralreadyregistered-462>
pub const ERR_ALREADYREGISTERED: &str = "462";
/// `464`: Wrong or missing server password. <https://modern.ircdocs.horse/#errpasswdmismatch-464>
pub const ERR_PASSWDMISMATCH: &str = "464";
/// `465`: We are banned from the server. <https://modern.ircdocs.horse/#erryourebannedcreep-465>
pub const ERR_YOUREBANNEDCREEP: &str = "465";
/// `471`: Cannot join: the channel is full (+l). <https://modern.ircdocs.horse/#errchannelisfull-471>
pub const ERR_CHANNELISFULL: &str = "471";
/// `472`: Unknown mode character. <https://modern.ircdocs.horse/#errunknownmode-472>
pub const ERR_UNKNOWNMODE: &str = "472";
/// `473`: Cannot join: invite only (+i). <https://modern.ircdocs.horse/#errinviteonlychan-473>
pub const ERR_INVITEONLYCHAN: &str = "473";
/// `474`: Cannot join: we are banned (+b). <https://modern.ircdocs.horse/#errbannedfromchan-474>
pub const ERR_BANNEDFROMCHAN: &str = "474";
/// `475`: Cannot join: wrong or missing key (+k). <https://modern.ircdocs.horse/#errbadchannelkey-475>
pub const ERR_BADCHANNELKEY: &str = "475";
/// `476`: Invalid channel name. <https://modern.ircdocs.horse/#errbadchanmask-476>
pub const ERR_BADCHANMASK: &str = "476";
/// `477`: Cannot join or speak: a registered nick is needed (ERR_NOCHANMODES on some servers). <https://modern.ircdocs.horse/#errneedreggednick-477>
pub const ERR_NEEDREGGEDNICK: &str = "477";
/// `478`: The channel's list for that mode is full. <https://modern.ircdocs.horse/#errbanlistfull-478>
pub const ERR_BANLISTFULL: &str = "478";
/// `481`: We are not an IRC operator. <https://modern.ircdocs.horse/#errnoprivileges-481>
pub const ERR_NOPRIVILEGES: &str = "481";
/// `482`: We are not a channel operator. <https://modern.ircdocs.horse/#errchanoprivsneeded-482>
pub const ERR_CHANOPRIVSNEEDED: &str = "482";
/// `483`: Servers cannot be killed. <https://modern.ircdocs.horse/#errcantkillserver-483>
pub const ERR_CANTKILLSERVER: &str = "483";
/// `491`: No O-line for our host. <https://modern.ircdocs.horse/#errnooperhost-491>
pub const ERR_NOOPERHOST: &str = "491";
/// `501`: Unknown user mode. <https://modern.ircdocs.horse/#errumodeunknownflag-501>
pub const ERR_UMODEUNKNOWNFLAG: &str = "501";
/// `502`: Cannot change another user's modes. <https://modern.ircdocs.horse/#errusersdontmatch-502>
pub const ERR_USERSDONTMATCH: &str = "502";
/// `524`: No help for that topic. <https://modern.ircdocs.horse/#errhelpnotfound-524>
pub const ERR_HELPNOTFOUND: &str = "524";
/// `525`: The channel key is invalid. <https://modern.ircdocs.horse/#errinvalidkey-525>
pub const ERR_INVALIDKEY: &str = "525";
/// `670`: STARTTLS may proceed. <https://modern.ircdocs.horse/#rplstarttls-670>
pub const RPL_STARTTLS: &str = "670";
/// `671`: WHOIS: the user is connected over TLS. <https://modern.ircdocs.horse/#rplwhoissecure-671>
pub const RPL_WHOISSECURE: &str = "671";
/// `691`: STARTTLS failed. <https://modern.ircdocs.horse/#errstarttls-691>
pub const ERR_STARTTLS: &str = "691";
/// `696`: Invalid parameter for a mode. <https://modern.ircdocs.horse/#errinvalidmodeparam-696>
pub const ERR_INVALIDMODEPARAM: &str = "696";
/// `704`: Start of a HELP reply. <https://modern.ircdocs.horse/#rplhelpstart-704>
pub const RPL_HELPSTART: &str = "704";
/// `705`: One line of a HELP reply. <https://modern.ircdocs.horse/#rplhelptxt-705>
pub const RPL_HELPTXT: &str = "705";
/// `706`: End of a HELP reply. <https://modern.ircdocs.horse/#rplendofhelp-706>
pub const RPL_ENDOFHELP: &str = "706";
/// `723`: We lack the operator privilege named. <https://modern.ircdocs.horse/#errnoprivs-723>
pub const ERR_NOPRIVS: &str = "723";
/// `730`: MONITOR: targets came online. <https://ircv3.net/specs/extensions/monitor>
pub const RPL_MONONLINE: &str = "730";
/// `731`: MONITOR: targets went offline. <https://ircv3.net/specs/extensions/monitor>
pub const RPL_MONOFFLINE: &str = "731";
/// `732`: MONITOR: entries of our list. <https://ircv3.net/specs/extensions/monitor>
pub const RPL_MONLIST: &str = "732";
/// `733`: MONITOR: end of our list. <https://ircv3.net/specs/extensions/monitor>
pub const RPL_ENDOFMONLIST: &str = "733";
/// `734`: MONITOR: our list is full. <https://ircv3.net/specs/extensions/monitor>
pub const ERR_MONLISTFULL: &str = "734";
/// `900`: SASL: we are logged in to an account. <https://ircv3.net/specs/extensions/sasl-3.1>
pub const RPL_LOGGEDIN: &str = "900";
/// `901`: SASL: we are logged out. <https://ircv3.net/specs/extensions/sasl-3.1>
pub const RPL_LOGGEDOUT: &str = "901";
/// `902`: SASL: authentication failed because the nick is locked. <https://ircv3.net/specs/extensions/sasl-3.1>
pub const ERR_NICKLOCKED: &str = "902";
/// `903`: SASL: authentication succeeded. <https://ircv3.net/specs/extensions/sasl-3.1>
pub const RPL_SASLSUCCESS: &str = "903";
/// `904`: SASL: authentication failed (wrong credentials). <https://ircv3.net/specs/extensions/sasl-3.1>
pub const ERR_SASLFAIL: &str = "904";
/// `905`: SASL: an AUTHENTICATE line was too long. <https://ircv3.net/specs/extensions/sasl-3.1>
pub const ERR_SASLTOOLONG: &str = "905";
/// `906`: SASL: authentication aborted. <https://ircv3.net/specs/extensions/sasl-3.1>
pub const ERR_SASLABORTED: &str = "906";
/// `907`: SASL: we are already authenticated. <https://ircv3.net/specs/extensions/sasl-3.1>
pub const ERR_SASLALREADY: &str = "907";
/// `908`: SASL: the mechanisms the server offers. <https://ircv3.net/specs/extensions/sasl-3.1>
pub const RPL_SASLMECHS: &str = "908";
/// Alias of [`ERR_NEEDREGGEDNICK`], the RFC 2812 name of 477.
pub const ERR_NOCHANMODES: &str = ERR_NEEDREGGEDNICK;
/// Alias of [`RPL_HOSTHIDDEN`].
pub const RPL_VISIBLEHOST: &str = RPL_HOSTHIDDEN;

/// Every named numeric as `(code, name)`, sorted by code.
pub const ALL: &[(&str, &str)] = &[
    ("001", "RPL_WELCOME"),
    ("002", "RPL_YOURHOST"),
    ("003", "RPL_CREATED"),
    ("004", "RPL_MYINFO"),
    ("005", "RPL_ISUPPORT"),
    ("010", "RPL_BOUNCE"),
    ("221", "RPL_UMODEIS"),
    ("251", "RPL_LUSERCLIENT"),
    ("252", "RPL_LUSEROP"),
    ("253", "RPL_LUSERUNKNOWN"),
    ("254", "RPL_LUSERCHANNELS"),
    ("255", "RPL_LUSERME"),
    ("265", "RPL_LOCALUSERS"),
    ("266", "RPL_GLOBALUSERS"),
    ("276", "RPL_WHOISCERTFP"),
    ("301", "RPL_AWAY"),
    ("302", "RPL_USERHOST"),
    ("303", "RPL_ISON"),
    ("305", "RPL_UNAWAY"),
    ("306", "RPL_NOWAWAY"),
    ("307", "RPL_WHOISREGNICK"),
    ("311", "RPL_WHOISUSER"),
    ("312", "RPL_WHOISSERVER"),
    ("313", "RPL_WHOISOPERATOR"),
    ("314", "RPL_WHOWASUSER"),
    ("315", "RPL_ENDOFWHO"),
    ("317", "RPL_WHOISIDLE"),
    ("318", "RPL_ENDOFWHOIS"),
    ("319", "RPL_WHOISCHANNELS"),
    ("320", "RPL_WHOISSPECIAL"),
    ("321", "RPL_LISTSTART"),
    ("322", "RPL_LIST"),
    ("323", "RPL_LISTEND"),
    ("324", "RPL_CHANNELMODEIS"),
    ("329", "RPL_CREATIONTIME"),
    ("330", "RPL_WHOISACCOUNT"),
    ("331", "RPL_NOTOPIC"),
    ("332", "RPL_TOPIC"),
    ("333", "RPL_TOPICWHOTIME"),
    ("338", "RPL_WHOISACTUALLY"),
    ("341", "RPL_INVITING"),
    ("346", "RPL_INVITELIST"),
    ("347", "RPL_ENDOFINVITELIST"),
    ("348", "RPL_EXCEPTLIST"),
    ("349", "RPL_ENDOFEXCEPTLIST"),
    ("351", "RPL_VERSION"),
    ("352", "RPL_WHOREPLY"),
    ("353", "RPL_NAMREPLY"),
    ("354", "RPL_WHOSPCRPL"),
    ("366", "RPL_ENDOFNAMES"),
    ("367", "RPL_BANLIST"),
    ("368", "RPL_ENDOFBANLIST"),
    ("369", "RPL_ENDOFWHOWAS"),
    ("371", "RPL_INFO"),
    ("372", "RPL_MOTD"),
    ("374", "RPL_ENDOFINFO"),
    ("375", "RPL_MOTDSTART"),
    ("376", "RPL_ENDOFMOTD"),
    ("378", "RPL_WHOISHOST"),
    ("379", "RPL_WHOISMODES"),
    ("381", "RPL_YOUREOPER"),
    ("391", "RPL_TIME"),
    ("396", "RPL_HOSTHIDDEN"),
    ("400", "ERR_UNKNOWNERROR"),
    ("401", "ERR_NOSUCHNICK"),
    ("402", "ERR_NOSUCHSERVER"),
    ("403", "ERR_NOSUCHCHANNEL"),
    ("404", "ERR_CANNOTSENDTOCHAN"),
    ("405", "ERR_TOOMANYCHANNELS"),
    ("406", "ERR_WASNOSUCHNICK"),
    ("409", "ERR_NOORIGIN"),
    ("411", "ERR_NORECIPIENT"),
    ("412", "ERR_NOTEXTTOSEND"),
    ("417", "ERR_INPUTTOOLONG"),
    ("421", "ERR_UNKNOWNCOMMAND"),
    ("422", "ERR_NOMOTD"),
    ("431", "ERR_NONICKNAMEGIVEN"),
    ("432", "ERR_ERRONEUSNICKNAME"),
    ("433", "ERR_NICKNAMEINUSE"),
    ("436", "ERR_NICKCOLLISION"),
    ("437", "ERR_UNAVAILRESOURCE"),
    ("441", "ERR_USERNOTINCHANNEL"),
    ("442", "ERR_NOTONCHANNEL"),
    ("443", "ERR_USERONCHANNEL"),
    ("451", "ERR_NOTREGISTERED"),
    ("461", "ERR_NEEDMOREPARAMS"),
    ("462", "ERR_ALREADYREGISTERED"),
    ("464", "ERR_PASSWDMISMATCH"),
    ("465", "ERR_YOUREBANNEDCREEP"),
    ("471", "ERR_CHANNELISFULL"),
    ("472", "ERR_UNKNOWNMODE"),
    ("473", "ERR_INVITEONLYCHAN"),
    ("474", "ERR_BANNEDFROMCHAN"),
    ("475", "ERR_BADCHANNELKEY"),
    ("476", "ERR_BADCHANMASK"),
    ("477", "ERR_NEEDREGGEDNICK"),
    ("478", "ERR_BANLISTFULL"),
    ("481", "ERR_NOPRIVILEGES"),
    ("482", "ERR_CHANOPRIVSNEEDED"),
    ("483", "ERR_CANTKILLSERVER"),
    ("491", "ERR_NOOPERHOST"),
    ("501", "ERR_UMODEUNKNOWNFLAG"),
    ("502", "ERR_USERSDONTMATCH"),
    ("524", "ERR_HELPNOTFOUND"),
    ("525", "ERR_INVALIDKEY"),
    ("670", "RPL_STARTTLS"),
    ("671", "RPL_WHOISSECURE"),
    ("691", "ERR_STARTTLS"),
    ("696", "ERR_INVALIDMODEPARAM"),
    ("704", "RPL_HELPSTART"),
    ("705", "RPL_HELPTXT"),
    ("706", "RPL_ENDOFHELP"),
    ("723", "ERR_NOPRIVS"),
    ("730", "RPL_MONONLINE"),
    ("731", "RPL_MONOFFLINE"),
    ("732", "RPL_MONLIST"),
    ("733", "RPL_ENDOFMONLIST"),
    ("734", "ERR_MONLISTFULL"),
    ("900", "RPL_LOGGEDIN"),
    ("901", "RPL_LOGGEDOUT"),
    ("902", "ERR_NICKLOCKED"),
    ("903", "RPL_SASLSUCCESS"),
    ("904", "ERR_SASLFAIL"),
    ("905", "ERR_SASLTOOLONG"),
    ("906", "ERR_SASLABORTED"),
    ("907", "ERR_SASLALREADY"),
    ("908", "RPL_SASLMECHS"),
];

/// The name of numeric `code` (e.g. `"433"` → `"ERR_NICKNAMEINUSE"`), for logs.
pub fn name(code: &str) -> Option<&'static str> {
    ALL.binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .and_then(|i| ALL.get(i))
        .map(|(_, n)| *n)
}

/// Whether `command` is a numeric reply: exactly three ASCII digits.
pub fn is_numeric(command: &str) -> bool {
    command.len() == 3 && command.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `command` is an error numeric (400–599).
pub fn is_error(command: &str) -> bool {
    is_numeric(command) && matches!(command.as_bytes()[0], b'4' | b'5')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_valid() {
        assert!(ALL.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ALL.iter().all(|(c, _)| is_numeric(c)));
    }

    #[test]
    fn lookups() {
        assert_eq!(RPL_WELCOME, "001");
        assert_eq!(RPL_SASLMECHS, "908");
        assert_eq!(name("433"), Some("ERR_NICKNAMEINUSE"));
        assert_eq!(name("999"), None);
        assert!(is_error(ERR_BANNEDFROMCHAN));
        assert!(!is_error(RPL_TOPIC));
        assert!(!is_numeric("PRIVMSG"));
    }
}
