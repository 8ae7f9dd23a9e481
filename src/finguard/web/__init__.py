"""Server-rendered pages (Jinja2), in Simplified Chinese and English."""
