"""
The app's overrides of Django's locale formats (settings.FORMAT_MODULE_PATH).
Only what differs is set; Django's own module for the locale gives the rest.
"""
