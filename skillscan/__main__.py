from skillscan.cli import main

main()
