// One console line per result, prefixed so the host's log shows whose it is.
exports.show = function show(step, value) {
  console.log('demo: ' + step + ' ' + JSON.stringify(value));
};
