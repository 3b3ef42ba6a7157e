"""From StUF objects to canonical message drafts, one module per entity type."""
