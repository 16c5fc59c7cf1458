umask 077
