"""The click service: the redirector that answers short links and counts clicks
(``campaign serve-links``), and the report of those clicks (``campaign links report``).

Above the ledger, which it reads and writes; link *tagging* (UTM tags, short codes) is
:mod:`campaign.tagging`, below rendering.
"""
