-- Replies and reactions (IRCv3 +draft/reply, +draft/react): the msgid a message answers
-- or reacts to, in its conversation.
ALTER TABLE messages ADD COLUMN reply_to TEXT;
