"""Import profiles: how real-world files map onto observations (issue 15).

``spec`` reads and checks a profile (YAML text or a mapping); ``registry`` finds one by name
(a profile in the database, else a shipped file) or reads a file given on the command line.
"""
