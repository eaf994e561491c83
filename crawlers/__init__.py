"""Scrapy crawlers for hotline, message-board and news sources, driven by config/sources.yaml."""
