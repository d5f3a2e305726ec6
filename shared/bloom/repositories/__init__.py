"""Repositories: the only modules that know Firestore documents and queries."""
