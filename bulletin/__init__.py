"""bulletin: a static site generator for the news bulletin of China's high-tech zones."""

__version__ = "0.1.0"
