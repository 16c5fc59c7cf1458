umask 002
