// The sample mini program: its steps are in lib/steps.js; each one logs its result, and 'demo: done' ends the run.
const steps = require('./lib/steps');

App({
  onLaunch(options) {
    console.log('demo: onLaunch ' + JSON.stringify(options || {}));
    steps.run().then(
      () => console.log('demo: done'),
      err => {
        console.error('demo: a step threw: ' + (err && err.message ? err.message : JSON.stringify(err)));
        console.log('demo: done');
      });
  },
  onShow() {
    console.log('demo: onShow');
  },
  onHide() {
    console.log('demo: onHide');
  },
  onError(message) {
    console.error('demo: onError ' + message);
  },
});
