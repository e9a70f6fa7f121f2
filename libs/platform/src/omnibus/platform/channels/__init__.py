"""Outbound messages to people: Mailjet e-mail (Send API v3.1) and SMSC SMS (D47), with their local stand-ins.

``mailjet`` and ``smsc`` are the real clients every service uses (identity's user mails, customers'
communications, provisioning's failure mail); ``mailjet_standin`` and ``smsc_standin`` are HTTP servers speaking
the same protocols, started when no real provider is configured (embedded mode, tests) or with
``omnibus emulate mailjet|smsc``. ``omnibus outbox`` prints what the stand-ins received.
"""
