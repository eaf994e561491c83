"""The weekly sentiment report (舆情周报) and the daily brief (舆情日报): data, text, charts, Word and HTML."""
