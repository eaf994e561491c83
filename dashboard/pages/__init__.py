"""One module per dashboard page, named after its URL (overview is /)."""
