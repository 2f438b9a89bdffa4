// Says which version of version.js this launch got: the host reads the package anew at each launch.
App({
  onLaunch: function () {
    var version = require('./version');
    version.value = 'changed in memory';
    console.log('version: launched with ' + JSON.stringify(require('./version.js').value === 'changed in memory') + ' cache');
  }
});
console.log('version: file says ' + require('./version').value);
