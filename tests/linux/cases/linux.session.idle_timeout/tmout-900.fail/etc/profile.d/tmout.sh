export TMOUT=900
