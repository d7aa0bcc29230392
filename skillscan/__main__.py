from skillscan.cli import main

if __name__ == "__main__":  # worker processes (spawned) import this module again: run nothing then
    main()
