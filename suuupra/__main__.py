from suuupra.cli import main

main()
