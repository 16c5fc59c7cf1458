umask -S u=rwx,g=rx,o= >/dev/null
