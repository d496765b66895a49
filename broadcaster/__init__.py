"""Commune radio station software for administrative-reform broadcasts."""
