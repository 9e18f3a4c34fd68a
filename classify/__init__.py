"""Classifying items against the policy baseline. Never touches the database."""
