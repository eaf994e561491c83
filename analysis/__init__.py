"""Analysis stage: turns stored items into judgement (sentiment, topics, schemes, events, bursts, risk)."""
