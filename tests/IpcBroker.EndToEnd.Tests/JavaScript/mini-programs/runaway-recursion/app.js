// Recursion without end, after the host's reopen (the second onShow).
var shows = 0;

function down(n) {
  return down(n + 1) + 1;
}

App({
  onShow: function () {
    shows++;
    if (shows === 2) {
      setTimeout(function () {
        console.log('runaway-recursion: recursing');
        down(0);
      }, 0);
    }
  }
});
