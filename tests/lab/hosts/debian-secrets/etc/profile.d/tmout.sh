# idle shells end after 10 minutes
TMOUT=600
readonly TMOUT
export TMOUT
