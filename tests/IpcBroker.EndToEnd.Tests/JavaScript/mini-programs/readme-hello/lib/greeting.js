// lib/greeting.js: a module of the package, loaded with require('./lib/greeting').
module.exports = {
  shout: function (text) { return text.toUpperCase(); }
};
