"""The Export workspace (redline.ui.export.page.ExportPage)."""
