"""The campaign calendar in the browser (``campaign web``) and the calendar feed
(``/calendar.ics``, ``campaign export --ics``): the plan and the ledger for people who do not
open a terminal. The files and the ledger stay the source of truth; the browser's only
writes are the same cancel, retry and resolve moves as the command line.
"""
