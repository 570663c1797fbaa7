"""Sending the e-mails participants are owed (recorded by usecases.notifications): the loop in
enrolment's worker (sender.py) and the channels it sends through (channels.py)."""
