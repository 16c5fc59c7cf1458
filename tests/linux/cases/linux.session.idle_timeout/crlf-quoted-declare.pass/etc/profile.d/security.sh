# idle logout
declare -rx TMOUT="600"
