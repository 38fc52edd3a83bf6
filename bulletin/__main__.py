from bulletin.cli import run

if __name__ == "__main__":  # not when a spawned worker process loads this module again
    run()
