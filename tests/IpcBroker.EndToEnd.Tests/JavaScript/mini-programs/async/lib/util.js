// Required by math.js with a path relative to lib/ (not to the package's root).
exports.twice = function (n) { return n * 2; };
exports.loads = (exports.loads || 0) + 1;
