"""Bloom's domain library: models, services, repositories, integrations and the function toolkit."""
