"""Who is calling: the vocabulary, tokens, sessions and the one resolver every service shares."""
