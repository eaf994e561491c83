"""Config-driven Scrapy crawlers for hotline, message-board and news sources (run one with
`python -m crawlers.run SOURCE_KEY`)."""
