// Generated from src/input.rs by `UPDATE_WIRE=1 cargo test --lib wire`: do not edit.
import type { Command } from './wire';

/** The slash commands the server understands (also `GET /api/commands`). */
export const COMMANDS: readonly Command[] = [
  {
    "name": "me",
    "aliases": [],
    "usage": "/me <action>",
    "help": "Send an action, shown as \"* you do something\""
  },
  {
    "name": "say",
    "aliases": [],
    "usage": "/say <text>",
    "help": "Send text as is, even if it starts with /"
  },
  {
    "name": "msg",
    "aliases": [],
    "usage": "/msg <nick|#channel> <text>",
    "help": "Send a message to someone"
  },
  {
    "name": "query",
    "aliases": [
      "q"
    ],
    "usage": "/query <nick> [text]",
    "help": "Open a private conversation"
  },
  {
    "name": "join",
    "aliases": [
      "j"
    ],
    "usage": "/join <#channel> [key]",
    "help": "Join a channel"
  },
  {
    "name": "part",
    "aliases": [
      "leave"
    ],
    "usage": "/part [#channel] [reason]",
    "help": "Leave a channel"
  },
  {
    "name": "close",
    "aliases": [],
    "usage": "/close [nick|#channel]",
    "help": "Leave and remove a conversation"
  },
  {
    "name": "topic",
    "aliases": [],
    "usage": "/topic [new topic]",
    "help": "Show or set the topic"
  },
  {
    "name": "names",
    "aliases": [],
    "usage": "/names [#channel]",
    "help": "List the participants"
  },
  {
    "name": "whois",
    "aliases": [],
    "usage": "/whois <nick>",
    "help": "Show information about a nick"
  },
  {
    "name": "nick",
    "aliases": [],
    "usage": "/nick <new nick>",
    "help": "Change your nick"
  },
  {
    "name": "mode",
    "aliases": [],
    "usage": "/mode [target] <modes>",
    "help": "Change channel or user modes"
  },
  {
    "name": "kick",
    "aliases": [],
    "usage": "/kick <nick> [reason]",
    "help": "Remove someone from the channel"
  },
  {
    "name": "invite",
    "aliases": [],
    "usage": "/invite <nick> [#channel]",
    "help": "Invite someone to a channel"
  },
  {
    "name": "away",
    "aliases": [],
    "usage": "/away [message]",
    "help": "Set or clear your away message"
  },
  {
    "name": "list",
    "aliases": [],
    "usage": "/list [args]",
    "help": "List channels on the network"
  },
  {
    "name": "quote",
    "aliases": [
      "raw"
    ],
    "usage": "/quote <raw IRC line>",
    "help": "Send a raw IRC line"
  },
  {
    "name": "ns",
    "aliases": [],
    "usage": "/ns <NickServ command>",
    "help": "Talk to NickServ"
  },
  {
    "name": "cs",
    "aliases": [],
    "usage": "/cs <ChanServ command>",
    "help": "Talk to ChanServ"
  },
  {
    "name": "ison",
    "aliases": [],
    "usage": "/ison <nick> [nick...]",
    "help": "Check whether nicks are online"
  },
  {
    "name": "clear",
    "aliases": [],
    "usage": "/clear history [name]",
    "help": "Delete the stored history of this (or the named) conversation"
  },
  {
    "name": "notice",
    "aliases": [],
    "usage": "/notice <nick|#channel> <text>",
    "help": "Send a notice"
  },
  {
    "name": "ctcp",
    "aliases": [],
    "usage": "/ctcp <nick> <command> [args]",
    "help": "Send a CTCP request (VERSION, TIME, PING...)"
  },
  {
    "name": "oper",
    "aliases": [],
    "usage": "/oper <name> <password>",
    "help": "Become an IRC operator"
  },
  {
    "name": "ignore",
    "aliases": [],
    "usage": "/ignore [nick|mask]",
    "help": "Hide everything from someone (nick or nick!user@host with * and ?); no argument lists them"
  },
  {
    "name": "unignore",
    "aliases": [],
    "usage": "/unignore <nick|mask>",
    "help": "Stop ignoring someone"
  },
  {
    "name": "reconnect",
    "aliases": [],
    "usage": "/reconnect",
    "help": "Reconnect to the network"
  },
  {
    "name": "connect",
    "aliases": [],
    "usage": "/connect",
    "help": "Connect to the network"
  },
  {
    "name": "disconnect",
    "aliases": [],
    "usage": "/disconnect [reason]",
    "help": "Disconnect from the network"
  },
  {
    "name": "quit",
    "aliases": [],
    "usage": "/quit [reason]",
    "help": "Disconnect from the network"
  }
];
