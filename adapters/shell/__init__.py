"""A terminal chat room: the embedded default, and the end-to-end test driver."""
