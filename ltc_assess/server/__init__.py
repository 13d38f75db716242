"""The office server: the agency's place of record on PostgreSQL, reached over HTTPS by laptops, office desktops
and insurers. Incoming work is replayed through ``ltc_assess.replay``, the rules the desktop applies to bundles."""
