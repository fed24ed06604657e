"""Date formats without day/month ambiguity (FORMAT_MODULE_PATH in the settings).

03/04/2024 is 3 April in Britain and 4 March in America: the admin shows and takes ISO dates
(2024-04-03) and lists them as "3 Apr 2024"; the old day/month/year input is still accepted.
"""
