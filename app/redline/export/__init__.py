"""Dataset export: filters, review resolution, PII redaction, writers and the manifest.

Entry points: `redline.export.service.run_export` (write files), `dry_run` (counts
only), `preview_redaction` (what masking would change); the options are
`redline.export.types.ExportOptions` and `ExportFilters`.
"""
