// The lifecycle as the host drives it: each callback says which it is and how many onShow calls came before.
var shows = 0;

App({
  onLaunch: function (options) {
    console.log('lifecycle: onLaunch after ' + shows + ' shows, options ' + typeof options);
  },
  onShow: function () {
    shows++;
    console.log('lifecycle: onShow ' + shows);
  },
  onHide: function () {
    console.log('lifecycle: onHide after ' + shows + ' shows');
  }
});

console.log('lifecycle: entry ran, getApp ' + typeof getApp);
