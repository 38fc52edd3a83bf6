from bulletin.cli import run

run()
