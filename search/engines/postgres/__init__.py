"""The PostgreSQL full-text engine, for several app servers over one database."""
