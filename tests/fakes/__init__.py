"""Fake platform API servers on 127.0.0.1 that speak each platform's wire format.

The real client libraries (tweepy, Mastodon.py, atproto, requests) talk to them over a socket,
so tests exercise the same requests and responses a real platform would see. Every fake has
the same controls (:mod:`tests.fakes._http`): ``fault(operation, kind, times)`` with one set of
operations and fault kinds, ``calls(operation)``, ``env()``, ``published()`` and ``secrets()``.
"""
