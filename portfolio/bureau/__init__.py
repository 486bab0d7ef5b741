"""Credit-bureau reporting files (征信): Metro 2-style fixed width and the Chinese interface's CSV."""
