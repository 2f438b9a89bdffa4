// An endless loop in a timer, after the host's reopen (the second onShow): never during the launch.
var shows = 0;

App({
  onShow: function () {
    shows++;
    if (shows === 2) {
      setTimeout(function () {
        console.log('runaway-loop: looping');
        while (true) {
        }
      }, 0);
    }
  }
});
