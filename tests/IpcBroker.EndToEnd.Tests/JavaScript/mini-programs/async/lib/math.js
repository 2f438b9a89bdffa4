var util = require('./util');
var utilAgain = require('./util.js');

module.exports = {
  add: function (a, b) { return a + b; },
  twice: util.twice,
  utilLoads: util.loads,
  utilCached: util === utilAgain
};
