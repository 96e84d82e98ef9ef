"""Files people hand over in the chat: where they may be downloaded from, what they may be, and the stream checks."""
