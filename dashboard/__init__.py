"""The duty officer's live console (Plotly Dash)."""
