"""Mail templates (string.Template files); alerts.content fills them, escaping every value in HTML."""
