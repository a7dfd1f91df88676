"""Code shared by every source: reading files, contracts, normalisation, quarantine, loading."""
