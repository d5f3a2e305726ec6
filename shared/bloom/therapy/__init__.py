"""Therapy: Simplybook bookings charged to partner accesses, through a ledger that keeps the counters exact."""
